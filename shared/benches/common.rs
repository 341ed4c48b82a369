// Shared by the native benchmark and the in-browser one.

/// A realistic checks file of about `lines` lines: several datasets, every common check kind,
/// configurations, thresholds — what a large team's file looks like.
pub fn large_checks_file(lines: usize) -> String {
    let mut text = String::from("variables:\n  MIN_ROWS: \"10\"\n");
    let mut n = 0;
    while text.lines().count() < lines {
        n += 1;
        text.push_str(&format!(
            "checks for orders_{n}:\n  \
             - row_count > ${{MIN_ROWS}}\n  \
             - missing_count(customer_id) = 0\n  \
             - duplicate_count(order_id) = 0:\n      name: Orders are unique\n  \
             - invalid_percent(email) < 1 %:\n      valid format: email\n  \
             - avg(amount) between 10 and 500\n  \
             - freshness(created_at) < 1d\n  \
             - max(amount):\n      warn: when > 10000\n      fail: when > 50000\n  \
             - values in (customer_id) must exist in customers (id)\n  \
             - schema:\n      fail:\n        when required column missing: [order_id, amount]\n  \
             - failed rows:\n      name: Negative amounts\n      fail condition: amount < 0\n"
        ));
    }
    text
}
