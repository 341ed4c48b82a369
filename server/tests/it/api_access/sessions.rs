//! Sign-in, sessions and their throttle.

use super::*;

on_both_engines!(
    sessions_follow_sign_in_and_sign_out,
    failed_sign_ins_are_throttled_per_account
);

async fn sessions_follow_sign_in_and_sign_out(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    seltzer
        .add_user("ada@example.com", Role::Admin, PASSWORD)
        .await;
    seltzer
        .add_user("vic@example.com", Role::Viewer, PASSWORD)
        .await;

    let wrong = seltzer.sign_in("ada@example.com", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["code"], "unauthorized");
    assert!(wrong.header(&SET_COOKIE).is_empty());
    let unknown = seltzer.sign_in("nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.message(),
        wrong.message(),
        "no hint which emails exist"
    );

    let ok = seltzer.sign_in("Ada@Example.com", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        ok.json(),
        json!({"email": "ada@example.com", "apiKeyId": null, "role": "admin"})
    );
    let set_cookie = ok.header(&SET_COOKIE).to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = session_cookie(&ok);
    let ada = seltzer.with_cookie(&cookie);

    assert_eq!(
        ada.get("/api/auth/me").await.json()["email"],
        "ada@example.com"
    );
    assert_eq!(
        seltzer.anonymous().get("/api/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    // A mutating request carried by the cookie alone, from another site: refused (CSRF).
    let forged = ada
        .clone()
        .with("origin", "https://evil.example")
        .send("POST", "/api/auth/logout", None)
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let no_origin = ada.send("POST", "/api/auth/logout", None).await;
    assert_eq!(no_origin.status, StatusCode::FORBIDDEN);
    let out = ada
        .clone()
        .with("origin", "http://localhost")
        .send("POST", "/api/auth/logout", None)
        .await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(out.header(&SET_COOKIE).contains("Max-Age=0"));
    assert_eq!(
        ada.get("/api/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    // Disabling a user ends their sessions and their sign-ins.
    let vic = session_cookie(&seltzer.sign_in("vic@example.com", PASSWORD).await);
    assert!(seltzer.db.disable_user("vic@example.com").await.unwrap());
    assert_eq!(
        seltzer.with_cookie(&vic).get("/api/auth/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        seltzer.sign_in("vic@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let stored: String = scalar(
        &seltzer.db,
        "SELECT password_hash FROM users WHERE email = 'ada@example.com'",
    )
    .await;
    assert!(stored.starts_with("$argon2") && !stored.contains(PASSWORD));
}

async fn failed_sign_ins_are_throttled_per_account(test_db: TestDb) {
    let seltzer = Seltzer::start(&test_db, IngestConfig::default()).await;
    seltzer
        .add_user("ada@example.com", Role::Admin, PASSWORD)
        .await;
    for _ in 0..5 {
        assert_eq!(
            seltzer.sign_in("ada@example.com", "guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    seltzer
        .sign_in("ada@example.com", PASSWORD)
        .await
        .assert_refused(StatusCode::TOO_MANY_REQUESTS, "15 minutes");
}
