//! The configuration of `anomaly detection for …` checks (`model`,
//! `training_dataset_parameters`, `severity_level_parameters`, …), validated the way Soda
//! Core's pydantic models do: unknown keys and values of the wrong type drop the check.

use super::yaml::{Node, Scalar, Value};

/// What a field holds (pydantic's lax mode: numbers written as text are accepted).
#[derive(Clone, Copy)]
enum Field {
    Str,
    OptStr,
    Int,
    Float,
    Ratio,
    Bool,
    Any,
    StrOrList,
    Profile,
    Object(&'static [(&'static str, Field)]),
    ListOf(&'static Field),
}

const HYPERPARAMETERS: &[(&str, Field)] = &[
    ("growth", Field::Str),
    ("changepoints", Field::Any),
    ("n_changepoints", Field::Int),
    ("changepoint_range", Field::Float),
    ("yearly_seasonality", Field::Any),
    ("weekly_seasonality", Field::Any),
    ("daily_seasonality", Field::Any),
    ("holidays", Field::Any),
    ("seasonality_mode", Field::Str),
    ("seasonality_prior_scale", Field::Float),
    ("holidays_prior_scale", Field::Float),
    ("changepoint_prior_scale", Field::Float),
    ("mcmc_samples", Field::Int),
    ("interval_width", Field::Float),
    ("uncertainty_samples", Field::Int),
    ("stan_backend", Field::Any),
    ("scaling", Field::Str),
    ("holidays_mode", Field::Any),
];

const GRID: &[(&str, Field)] = &[
    ("growth", Field::ListOf(&Field::Str)),
    ("changepoints", Field::ListOf(&Field::Any)),
    ("n_changepoints", Field::ListOf(&Field::Int)),
    ("changepoint_range", Field::ListOf(&Field::Float)),
    ("yearly_seasonality", Field::ListOf(&Field::Any)),
    ("weekly_seasonality", Field::ListOf(&Field::Any)),
    ("daily_seasonality", Field::ListOf(&Field::Any)),
    ("holidays", Field::ListOf(&Field::Any)),
    ("seasonality_mode", Field::ListOf(&Field::Str)),
    ("seasonality_prior_scale", Field::ListOf(&Field::Float)),
    ("holidays_prior_scale", Field::ListOf(&Field::Float)),
    ("changepoint_prior_scale", Field::ListOf(&Field::Float)),
    ("mcmc_samples", Field::ListOf(&Field::Int)),
    ("interval_width", Field::ListOf(&Field::Float)),
    ("stan_backend", Field::ListOf(&Field::Any)),
    ("scaling", Field::ListOf(&Field::Str)),
    ("holidays_mode", Field::ListOf(&Field::Any)),
];

const DYNAMIC: &[(&str, Field)] = &[
    ("objective_metric", Field::StrOrList),
    ("parallelize_cross_validation", Field::Bool),
    ("cross_validation_folds", Field::Int),
    ("frequency", Field::Int),
    ("parameter_grid", Field::Object(GRID)),
];

const STATIC: &[(&str, Field)] = &[("profile", Field::Profile)];

const HYPERPARAMETER_CONFIGS: &[(&str, Field)] = &[
    ("static", Field::Object(STATIC)),
    ("dynamic", Field::Object(DYNAMIC)),
];

const MODEL: &[(&str, Field)] = &[
    ("type", Field::Str),
    ("holidays_country_code", Field::OptStr),
    ("hyperparameters", Field::Object(HYPERPARAMETER_CONFIGS)),
];

const TRAINING: &[(&str, Field)] = &[
    ("frequency", Field::Str),
    ("aggregation_function", Field::Str),
    ("window_length", Field::Int),
];

const SEVERITY: &[(&str, Field)] = &[
    ("warning_ratio", Field::Ratio),
    ("min_confidence_interval_ratio", Field::Ratio),
];

const OBJECTIVE_METRICS: &[&str] = &["mse", "rmse", "mae", "mape", "mdape", "smape", "coverage"];

/// One problem: where, and what.
pub struct Problem {
    pub node: Node,
    pub message: String,
}

/// Validates the anomaly-detection keys of a check configuration.
pub fn validate(config: &Node) -> Vec<Problem> {
    let mut problems = Vec::new();
    let top: &[(&str, Field)] = &[
        ("model", Field::Object(MODEL)),
        ("training_dataset_parameters", Field::Object(TRAINING)),
        ("severity_level_parameters", Field::Object(SEVERITY)),
        ("take_over_existing_anomaly_score_check", Field::Bool),
    ];
    for (key, field) in top {
        if let Some(value) = config.get(key) {
            check(key, *field, value, &mut problems);
        }
    }
    problems
}

fn number(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Scalar {
            kind: Scalar::Int(i),
            ..
        } => Some(*i as f64),
        Value::Scalar {
            kind: Scalar::Float(f),
            ..
        } => Some(*f),
        Value::Scalar {
            kind: Scalar::Str,
            text,
            ..
        } => text.trim().parse().ok(),
        _ => None,
    }
}

fn check(name: &str, field: Field, node: &Node, problems: &mut Vec<Problem>) {
    let mut problem = |message: String| {
        problems.push(Problem {
            node: node.clone(),
            message,
        });
    };
    let text = node.scalar_text().unwrap_or_default();
    match field {
        Field::Any => {}
        Field::Str => {
            if node.as_str().is_none() {
                problem(format!(
                    "Unexpected value '{text}' for field '{name}': it must be text"
                ));
            }
        }
        Field::OptStr => {
            if node.as_str().is_none() && !node.is_null() {
                problem(format!(
                    "Unexpected value '{text}' for field '{name}': it must be text"
                ));
            }
        }
        Field::Int => {
            let ok = match &node.value {
                Value::Scalar {
                    kind: Scalar::Int(_),
                    ..
                } => true,
                Value::Scalar {
                    kind: Scalar::Float(f),
                    ..
                } => f.fract() == 0.0,
                Value::Scalar {
                    kind: Scalar::Str,
                    text,
                    ..
                } => text.trim().parse::<i64>().is_ok(),
                _ => false,
            };
            if !ok {
                problem(format!(
                    "Unexpected value '{text}' for field '{name}': it must be a whole number"
                ));
            }
        }
        Field::Float | Field::Ratio => match number(node) {
            None => problem(format!(
                "Unexpected value '{text}' for field '{name}': it must be a number"
            )),
            Some(v) if matches!(field, Field::Ratio) && !(0.0..=1.0).contains(&v) => {
                problem(format!(
                    "Not allowed value for field '{name}': it must be between 0 and 1, but got {text}"
                ));
            }
            Some(_) => {}
        },
        Field::Bool => {
            let ok = match &node.value {
                Value::Scalar {
                    kind: Scalar::Bool(_),
                    ..
                } => true,
                Value::Scalar {
                    kind: Scalar::Int(i),
                    ..
                } => *i == 0 || *i == 1,
                Value::Scalar {
                    kind: Scalar::Str,
                    text,
                    ..
                } => matches!(
                    text.to_lowercase().as_str(),
                    "true"
                        | "false"
                        | "yes"
                        | "no"
                        | "on"
                        | "off"
                        | "1"
                        | "0"
                        | "t"
                        | "f"
                        | "y"
                        | "n"
                ),
                _ => false,
            };
            if !ok {
                problem(format!(
                    "Unexpected value '{text}' for field '{name}': it must be true or false"
                ));
            }
        }
        Field::StrOrList => {
            let values: Vec<String> = match (&node.value, node.as_seq()) {
                (_, Some(items)) => items
                    .iter()
                    .map(|i| i.scalar_text().unwrap_or_default().to_lowercase())
                    .collect(),
                _ => vec![text.to_lowercase()],
            };
            if let Some(bad) = values
                .iter()
                .find(|v| !OBJECTIVE_METRICS.contains(&v.as_str()))
            {
                problem(format!(
                    "Not allowed value for field '{name}': objective_metric '{bad}' is not allowed; choose from {}",
                    OBJECTIVE_METRICS.join(", ")
                ));
            }
        }
        Field::Profile => match node.as_str() {
            Some(p) if matches!(p.to_lowercase().as_str(), "mape" | "coverage") => {}
            Some(p) => problem(format!(
                "Not allowed value for field '{name}': profile '{p}' is not allowed; choose from 'MAPE' or 'coverage'"
            )),
            None => {
                if node.as_map().is_some() {
                    let custom: &[(&str, Field)] =
                        &[("custom_hyperparameters", Field::Object(HYPERPARAMETERS))];
                    object(custom, node, problems);
                } else {
                    problem(format!("Unexpected value '{text}' for field '{name}'"));
                }
            }
        },
        Field::ListOf(inner) => match node.as_seq() {
            Some(items) => {
                for item in items {
                    check(name, *inner, item, problems);
                }
            }
            None => problem(format!(
                "Unexpected value '{text}' for field '{name}': it must be a list"
            )),
        },
        Field::Object(fields) => {
            if node.as_map().is_some() {
                object(fields, node, problems);
            } else if !node.is_null() {
                problem(format!(
                    "Unexpected value '{text}' for field '{name}': it must be a mapping"
                ));
            }
        }
    }
}

fn object(fields: &[(&str, Field)], node: &Node, problems: &mut Vec<Problem>) {
    for (k, v) in node.as_map().unwrap_or_default() {
        let key = k.scalar_text().unwrap_or_default();
        match fields.iter().find(|(name, _)| *name == key) {
            Some((_, field)) => check(key, *field, v, problems),
            None => problems.push(Problem {
                node: k.clone(),
                message: format!(
                    "Extra field '{key}'; remove it (known fields: {})",
                    fields
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
}
