//! Cedar expressions printed from their JSON form (`Policy::to_json`), as an author writes them,
//! so that an explanation can show and evaluate each sub-expression.

use cedar_policy::Policy;
use serde_json::{Value, json};

/// A Cedar expression's text, from its JSON form, written as an author writes it (`>=` stays
/// `>=`); forms this printer does not know go through Cedar's own printer.
pub(super) fn expression_text(expr: &Value) -> Option<String> {
    print_expr(expr).or_else(|| cedar_printed(expr))
}

fn cedar_printed(expr: &Value) -> Option<String> {
    let policy = json!({
        "effect": "permit",
        "principal": {"op": "All"},
        "action": {"op": "All"},
        "resource": {"op": "All"},
        "conditions": [{"kind": "when", "body": expr}],
    });
    let text = Policy::from_json(None, policy).ok()?.to_cedar()?;
    let start = text.find("when {")? + "when {".len();
    let end = text.rfind('}')?;
    let body = text.get(start..end)?;
    Some(body.split_whitespace().collect::<Vec<_>>().join(" "))
}

const INFIX: &[&str] = &["==", "!=", "<", "<=", ">", ">=", "&&", "||", "+", "-", "*", "in"];
const METHODS: &[&str] = &["contains", "containsAll", "containsAny", "getTag", "hasTag"];

/// Print an expression; compound operands get parentheses.
fn print_expr(e: &Value) -> Option<String> {
    let (op, arg) = e.as_object().filter(|m| m.len() == 1).and_then(|m| m.iter().next())?;
    let sub = |k: &str| arg.get(k).and_then(print_operand);
    Some(match op.as_str() {
        "Var" => arg.as_str()?.to_owned(),
        "Value" => print_value(arg)?,
        "!" => format!("!{}", sub("arg")?),
        "neg" => format!("-{}", sub("arg")?),
        "isEmpty" => format!("{}.isEmpty()", sub("arg")?),
        "." => format!("{}.{}", sub("left")?, arg.get("attr")?.as_str()?),
        "has" => format!("{} has {}", sub("left")?, arg.get("attr")?.as_str()?),
        "like" => format!("{} like \"{}\"", sub("left")?, arg.get("pattern").and_then(like_pattern)?),
        "is" => match arg.get("in") {
            Some(i) => format!("{} is {} in {}", sub("left")?, arg.get("entity_type")?.as_str()?, print_operand(i)?),
            None => format!("{} is {}", sub("left")?, arg.get("entity_type")?.as_str()?),
        },
        o if INFIX.contains(&o) => format!("{} {o} {}", sub("left")?, sub("right")?),
        o if METHODS.contains(&o) => format!("{}.{o}({})", sub("left")?, print_expr(arg.get("right")?)?),
        "if-then-else" => format!(
            "if {} then {} else {}",
            print_expr(arg.get("if")?)?,
            print_expr(arg.get("then")?)?,
            print_expr(arg.get("else")?)?
        ),
        "Set" => {
            let items: Option<Vec<String>> = arg.as_array()?.iter().map(print_expr).collect();
            format!("[{}]", items?.join(", "))
        }
        "Record" => {
            let fields: Option<Vec<String>> =
                arg.as_object()?.iter().map(|(k, v)| Some(format!("\"{k}\": {}", print_expr(v)?))).collect();
            format!("{{{}}}", fields?.join(", "))
        }
        _ => return None,
    })
}

/// An operand: atoms as they are, compound expressions in parentheses.
fn print_operand(e: &Value) -> Option<String> {
    let text = print_expr(e)?;
    let op = e.as_object().and_then(|m| m.keys().next()).map(String::as_str).unwrap_or_default();
    let atom = matches!(op, "Var" | "Value" | "." | "Set" | "Record") || METHODS.contains(&op) || op == "isEmpty";
    Some(if atom { text } else { format!("({text})") })
}

fn print_value(v: &Value) -> Option<String> {
    Some(match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).ok()?,
        Value::Object(m) => {
            let uid = m.get("__entity")?;
            let id = serde_json::to_string(uid.get("id")?.as_str()?).ok()?;
            format!("{}::{id}", uid.get("type")?.as_str()?)
        }
        _ => return None,
    })
}

fn like_pattern(p: &Value) -> Option<String> {
    let parts: Option<Vec<String>> = p
        .as_array()?
        .iter()
        .map(|x| match x {
            Value::String(w) if w == "Wildcard" => Some("*".to_owned()),
            Value::Object(m) => m.get("Literal").and_then(Value::as_str).map(|l| l.replace('*', "\\*")),
            _ => None,
        })
        .collect();
    Some(parts?.concat())
}
