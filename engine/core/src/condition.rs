//! A policy's condition compiled once, when the bundle loads, for evaluation over the Cedar
//! values of a request without Cedar's interpreter, which clones values, tracks source
//! locations and allows for partial evaluation on every step.
//!
//! Only the part of Cedar the blueprint's policies are written in is compiled: literals and
//! literal sets, the request's variables, attribute access, `has`, `&&`, `||`, `!`,
//! `if`-`then`-`else`, `==`, `<`, `<=`, `in`, `.contains`, `.containsAll`, `.containsAny` and
//! `.isEmpty()`, each with Cedar's semantics, on Cedar's own values, compared with Cedar's own
//! operations. A policy that uses anything else is not compiled, and whenever an evaluation
//! here meets anything Cedar would report as an error (a missing attribute, an operand of the
//! wrong type), it stops and the caller evaluates that condition with Cedar, which gives its
//! answer or its error in its own words. So a result from here is always the one Cedar gives;
//! `decision`'s tests compare the two for every request of the corpus.

use cedar_policy_core::ast::{BinaryOp, Expr, ExprKind, Literal, PartialValue, Set, UnaryOp, Value, ValueKind, Var};
use cedar_policy_core::entities::{Dereference, Entities};
use std::sync::Arc;

/// A compiled condition.
#[derive(Debug, Clone)]
pub struct Program(Node);

#[derive(Debug, Clone)]
enum Node {
    /// A literal, or a set of literals, made into a value once.
    Value(Value),
    Var(Var),
    Attr(Arc<Node>, String),
    Has(Arc<Node>, String),
    And(Arc<Node>, Arc<Node>),
    Or(Arc<Node>, Arc<Node>),
    If(Arc<Node>, Arc<Node>, Arc<Node>),
    Not(Arc<Node>),
    IsEmpty(Arc<Node>),
    Binary(Op, Arc<Node>, Arc<Node>),
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Eq,
    Less,
    LessEq,
    In,
    Contains,
    ContainsAll,
    ContainsAny,
}

/// What a condition is evaluated over: the request's variables as Cedar values, and its entities.
pub struct Env<'a> {
    /// `principal`.
    pub principal: &'a Value,
    /// `action`.
    pub action: &'a Value,
    /// `resource`.
    pub resource: &'a Value,
    /// `context` (a record).
    pub context: &'a Value,
    /// The request's entities.
    pub entities: &'a Entities,
}

/// The evaluation stopped where Cedar would report an error, or at something this module
/// leaves to Cedar: evaluate the condition with Cedar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AskCedar;

/// An intermediate result: a value of the request, the program or the entities, or a boolean
/// computed here.
enum V<'a> {
    Ref(&'a Value),
    Bool(bool),
}

impl Program {
    /// Compile a condition, or `None` if it uses a part of Cedar not compiled here (then Cedar
    /// evaluates it). A template's slots are left to Cedar too.
    pub fn compile(expr: &Expr) -> Option<Program> {
        compile(expr).map(Program)
    }

    /// Evaluate the condition: whether it holds, exactly as Cedar would say, or [`AskCedar`].
    pub fn holds(&self, env: &Env<'_>) -> Result<bool, AskCedar> {
        boolean(eval(&self.0, env)?)
    }
}

fn compile(e: &Expr) -> Option<Node> {
    let arc = |e: &Expr| compile(e).map(Arc::new);
    Some(match e.expr_kind() {
        ExprKind::Lit(lit) => Node::Value(Value::from(lit.clone())),
        ExprKind::Var(v) => Node::Var(*v),
        ExprKind::GetAttr { expr, attr } => Node::Attr(arc(expr)?, attr.to_string()),
        ExprKind::HasAttr { expr, attr } => Node::Has(arc(expr)?, attr.to_string()),
        ExprKind::And { left, right } => Node::And(arc(left)?, arc(right)?),
        ExprKind::Or { left, right } => Node::Or(arc(left)?, arc(right)?),
        ExprKind::If { test_expr, then_expr, else_expr } => Node::If(arc(test_expr)?, arc(then_expr)?, arc(else_expr)?),
        ExprKind::UnaryApp { op: UnaryOp::Not, arg } => Node::Not(arc(arg)?),
        ExprKind::UnaryApp { op: UnaryOp::IsEmpty, arg } => Node::IsEmpty(arc(arg)?),
        ExprKind::BinaryApp { op, arg1, arg2 } => {
            let op = match op {
                BinaryOp::Eq => Op::Eq,
                BinaryOp::Less => Op::Less,
                BinaryOp::LessEq => Op::LessEq,
                BinaryOp::In => Op::In,
                BinaryOp::Contains => Op::Contains,
                BinaryOp::ContainsAll => Op::ContainsAll,
                BinaryOp::ContainsAny => Op::ContainsAny,
                _ => return None,
            };
            Node::Binary(op, arc(arg1)?, arc(arg2)?)
        }
        // A set of literals is one value; Cedar builds the same set on every evaluation.
        ExprKind::Set(items) => {
            let literals: Option<Vec<Value>> = items
                .iter()
                .map(|i| match i.expr_kind() {
                    ExprKind::Lit(lit) => Some(Value::from(lit.clone())),
                    _ => None,
                })
                .collect();
            Node::Value(Value::set(literals?, None))
        }
        _ => return None,
    })
}

fn boolean(v: V<'_>) -> Result<bool, AskCedar> {
    match v {
        V::Bool(b) => Ok(b),
        V::Ref(Value { value: ValueKind::Lit(Literal::Bool(b)), .. }) => Ok(*b),
        V::Ref(_) => Err(AskCedar),
    }
}

fn value<'a>(v: &'a V<'_>) -> Option<&'a Value> {
    match v {
        V::Ref(r) => Some(r),
        V::Bool(_) => None,
    }
}

fn eval<'a>(node: &'a Node, env: &Env<'a>) -> Result<V<'a>, AskCedar> {
    Ok(match node {
        Node::Value(v) => V::Ref(v),
        Node::Var(Var::Principal) => V::Ref(env.principal),
        Node::Var(Var::Action) => V::Ref(env.action),
        Node::Var(Var::Resource) => V::Ref(env.resource),
        Node::Var(Var::Context) => V::Ref(env.context),
        Node::Attr(of, attr) => match eval(of, env)? {
            V::Ref(Value { value: ValueKind::Record(record), .. }) => {
                V::Ref(record.get(attr.as_str()).ok_or(AskCedar)?)
            }
            V::Ref(Value { value: ValueKind::Lit(Literal::EntityUID(uid)), .. }) => match env.entities.entity(uid) {
                Dereference::Data(entity) => match entity.get(attr) {
                    Some(PartialValue::Value(v)) => V::Ref(v),
                    _ => return Err(AskCedar),
                },
                _ => return Err(AskCedar),
            },
            _ => return Err(AskCedar),
        },
        Node::Has(of, attr) => match eval(of, env)? {
            V::Ref(Value { value: ValueKind::Record(record), .. }) => V::Bool(record.contains_key(attr.as_str())),
            V::Ref(Value { value: ValueKind::Lit(Literal::EntityUID(uid)), .. }) => match env.entities.entity(uid) {
                Dereference::Data(entity) => V::Bool(entity.get(attr).is_some()),
                Dereference::NoSuchEntity => V::Bool(false),
                Dereference::Residual(_) => return Err(AskCedar),
            },
            _ => return Err(AskCedar),
        },
        // `&&` and `||` short-circuit, and their right operand must be a boolean too.
        Node::And(left, right) => V::Bool(boolean(eval(left, env)?)? && boolean(eval(right, env)?)?),
        Node::Or(left, right) => V::Bool(boolean(eval(left, env)?)? || boolean(eval(right, env)?)?),
        Node::If(test, then, otherwise) => {
            if boolean(eval(test, env)?)? {
                eval(then, env)?
            } else {
                eval(otherwise, env)?
            }
        }
        Node::Not(arg) => V::Bool(!boolean(eval(arg, env)?)?),
        Node::IsEmpty(arg) => match eval(arg, env)? {
            V::Ref(Value { value: ValueKind::Set(s), .. }) => V::Bool(s.is_empty()),
            _ => return Err(AskCedar),
        },
        Node::Binary(op, left, right) => {
            // Cedar evaluates both operands before applying any of these operators.
            let (l, r) = (eval(left, env)?, eval(right, env)?);
            V::Bool(binary(*op, &l, &r, env)?)
        }
    })
}

fn binary(op: Op, l: &V<'_>, r: &V<'_>, env: &Env<'_>) -> Result<bool, AskCedar> {
    let long = |v: &V<'_>| match v {
        V::Ref(Value { value: ValueKind::Lit(Literal::Long(n)), .. }) => Ok(*n),
        _ => Err(AskCedar),
    };
    match op {
        // Values of different types are unequal, not an error.
        Op::Eq => Ok(match (l, r) {
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Ref(a), V::Ref(b)) => a == b,
            (V::Bool(a), V::Ref(v)) | (V::Ref(v), V::Bool(a)) => {
                matches!(v.value, ValueKind::Lit(Literal::Bool(b)) if b == *a)
            }
        }),
        // Only longs are compared here; extension values (decimal, datetime) go to Cedar.
        Op::Less => Ok(long(l)? < long(r)?),
        Op::LessEq => Ok(long(l)? <= long(r)?),
        Op::In => {
            let Some(Value { value: ValueKind::Lit(Literal::EntityUID(uid)), .. }) = value(l) else {
                return Err(AskCedar);
            };
            let entity = match env.entities.entity(uid) {
                Dereference::Data(e) => Some(e),
                Dereference::NoSuchEntity => None,
                Dereference::Residual(_) => return Err(AskCedar),
            };
            let within = |target: &cedar_policy_core::ast::EntityUID| {
                uid.as_ref() == target || entity.is_some_and(|e| e.is_descendant_of(target))
            };
            match value(r) {
                Some(Value { value: ValueKind::Lit(Literal::EntityUID(target)), .. }) => Ok(within(target)),
                Some(Value { value: ValueKind::Set(targets), .. }) => {
                    // Every element must be an entity, or Cedar reports a type error.
                    let mut found = false;
                    for t in targets.iter() {
                        match &t.value {
                            ValueKind::Lit(Literal::EntityUID(target)) => found = found || within(target),
                            _ => return Err(AskCedar),
                        }
                    }
                    Ok(found)
                }
                _ => Err(AskCedar),
            }
        }
        Op::Contains => {
            let s = set(l)?;
            Ok(match r {
                V::Ref(v) => s.contains(v),
                V::Bool(b) => s.contains(&Value::from(*b)),
            })
        }
        Op::ContainsAll => Ok(set(r)?.is_subset(set(l)?)),
        Op::ContainsAny => Ok(!set(l)?.is_disjoint(set(r)?)),
    }
}

fn set<'v>(v: &'v V<'_>) -> Result<&'v Set, AskCedar> {
    match value(v) {
        Some(Value { value: ValueKind::Set(s), .. }) => Ok(s),
        _ => Err(AskCedar),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]
    use super::*;
    use cedar_policy::{Context, Entities, EntityUid, Policy, Request};
    use cedar_policy_core::evaluator::Evaluator;
    use cedar_policy_core::extensions::Extensions;
    use std::str::FromStr;

    const ENTITIES: &str = r#"[
        {"uid": {"type": "User", "id": "alice"}, "parents": [{"type": "Group", "id": "g1"}],
         "attrs": {"age": 30, "name": "a", "flag": true, "tags": ["x", "y"], "friend": {"__entity": {"type": "User", "id": "bob"}}}},
        {"uid": {"type": "User", "id": "bob"}, "parents": [], "attrs": {}},
        {"uid": {"type": "Group", "id": "g1"}, "parents": [{"type": "Group", "id": "g2"}], "attrs": {}},
        {"uid": {"type": "Group", "id": "g2"}, "parents": [], "attrs": {}}
    ]"#;

    const CONTEXT: &str = r#"{"n": 3, "s": "str", "set": [1, 2], "rec": {"b": false},
        "who": {"__entity": {"type": "User", "id": "bob"}}, "none": []}"#;

    /// (condition, compiled here): each is compared with Cedar's own evaluation.
    const CASES: &[(&str, bool)] = &[
        ("principal.age < 40", true),
        ("principal.age <= 30", true),
        ("context.n > 2", true),
        ("context.n >= 4", true),
        ("principal.name == \"a\"", true),
        ("principal.name == 1", true),
        ("principal.flag == true", true),
        ("true == principal.flag", true),
        ("(1 < 2) == (2 < 1)", true),
        ("principal.age < \"x\"", true),
        ("principal.missing == 1", true),
        ("context.missing", true),
        ("principal.friend.missing", true),
        ("Doc::\"x\".a == 1", true),
        ("principal in Group::\"g2\"", true),
        ("principal in Group::\"g3\"", true),
        ("principal in [Group::\"g9\", Group::\"g2\"]", true),
        ("principal in [Group::\"g2\", 1]", true),
        ("principal in 1", true),
        ("1 in Group::\"g1\"", true),
        ("resource in Doc::\"d\"", true),
        ("resource in Doc::\"e\"", true),
        ("context.who in Group::\"g1\"", true),
        ("principal.friend in principal.friend", true),
        ("principal has age", true),
        ("principal has nope", true),
        ("Doc::\"x\" has a", true),
        ("context has n", true),
        ("context.rec has b", true),
        ("context.n has b", true),
        ("context.rec.b || principal.missing", true),
        ("true || principal.missing", true),
        ("false && principal.missing", true),
        ("principal.missing && false", true),
        ("1 && true", true),
        ("true && 1", true),
        ("false || 1", true),
        ("if context.n > 2 then principal.flag else principal.missing", true),
        ("if context.n > 5 then principal.flag else context.rec.b", true),
        ("if 1 then true else false", true),
        ("!(context.rec.b)", true),
        ("!context.n", true),
        ("context.set.contains(2)", true),
        ("context.set.contains(\"2\")", true),
        ("context.set.contains(1 < 2)", true),
        ("context.n.contains(1)", true),
        ("principal.tags.containsAll([\"x\"])", true),
        ("principal.tags.containsAll([\"x\", \"z\"])", true),
        ("principal.tags.containsAny([\"z\", \"y\"])", true),
        ("principal.tags.containsAny([\"z\"])", true),
        ("context.set.containsAll(1)", true),
        ("context.set.isEmpty()", true),
        ("context.none.isEmpty()", true),
        ("context.n.isEmpty()", true),
        ("[1, 2] == context.set", true),
        ("[2, 1, 1] == context.set", true),
        ("principal == User::\"alice\"", true),
        ("action == Action::\"view\"", true),
        ("context.who == principal.friend", true),
        ("context.n", true),
        ("[principal.age].contains(30)", false),
        ("principal.name like \"a*\"", false),
        ("context.n + 1 > 3", false),
        ("context.rec == {\"b\": false}", false),
        ("principal is User", false),
        ("decimal(\"1.0\") < decimal(\"2.0\")", false),
        ("principal has friend.missing", false),
    ];

    #[test]
    fn compiled_conditions_evaluate_as_cedar_does() {
        let entities = Entities::from_json_str(ENTITIES, None).expect("entities");
        let context = Context::from_json_str(CONTEXT, None).expect("context");
        let uid = |s: &str| EntityUid::from_str(s).expect("uid");
        let (principal, action, resource) = (uid("User::\"alice\""), uid("Action::\"view\""), uid("Doc::\"d\""));
        let request =
            Request::new(principal.clone(), action.clone(), resource.clone(), context, None).expect("request");
        let ast: &cedar_policy_core::ast::Request = request.as_ref();
        let context_value = match ast.context() {
            Some(cedar_policy_core::ast::Context::Value(fields)) => {
                Value { value: ValueKind::Record(fields.clone()), loc: None }
            }
            other => panic!("context: {other:?}"),
        };
        let value = |id: &EntityUid| Value::from(AsRef::<cedar_policy_core::ast::EntityUID>::as_ref(id).clone());
        let (p, a, r) = (value(&principal), value(&action), value(&resource));
        let env = Env { principal: &p, action: &a, resource: &r, context: &context_value, entities: entities.as_ref() };
        let cedar = Evaluator::new(ast.clone(), entities.as_ref(), Extensions::all_available());
        let (mut held, mut failed) = (0, 0);
        for (text, compiles) in CASES {
            let policy = Policy::from_str(&format!("permit (principal, action, resource) when {{ {text} }};"))
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            let expr = AsRef::<cedar_policy_core::ast::Policy>::as_ref(&policy).condition();
            let program = Program::compile(&expr);
            assert_eq!(program.is_some(), *compiles, "{text}: compiled");
            let Some(program) = program else { continue };
            let theirs = cedar.interpret(&expr, &std::collections::HashMap::new());
            match (program.holds(&env), theirs) {
                (Ok(ours), Ok(v)) => {
                    assert_eq!(Value::from(ours), v, "{text}");
                    held += usize::from(ours);
                }
                (Err(AskCedar), Err(_)) => failed += 1,
                (ours, theirs) => panic!("{text}: {ours:?} here, {theirs:?} in Cedar"),
            }
        }
        // The cases reach both answers and Cedar's errors.
        assert!(held >= 10 && failed >= 10, "{held} held, {failed} failed");
    }
}
