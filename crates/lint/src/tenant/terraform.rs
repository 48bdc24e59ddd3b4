//! Role assignments declared in Terraform (`azurerm_role_assignment` in `.tf` files and plans), checked by the
//! tenant rules that hold without the rest of the tenant: `RL401`, `RL402`, `RL406` and the assignment
//! conditions' `RL213`/`RL312`. A configuration is not the whole tenant, so `RL403` (a role nobody is assigned)
//! and the per-scope limits `RL404`/`RL405` are not run, and no management-group hierarchy is known (`RL401`
//! decides nothing about a management-group assignable scope that does not hold the assignment by path).

use std::sync::Arc;

use rolegate::Diagnostic;
use rolegate::diag::{SourceText, Span, codes};
use rolegate::internals::diag::excerpt;
use rolegate::model::{Id, Origin, PrincipalType, RoleAssignment, RoleDefinition, ScopeEntry, Spanned};
use rolegate::scope::{ScopeValue, classify_scope};

use super::{Index, Placement};
use crate::finding::Finding;
use crate::rules::TEMPLATE_EXPRESSION;
use crate::sources::{AssignmentParts, RoleRef};

/// A role assignment a Terraform file or plan declares.
#[derive(Debug)]
pub(crate) struct Declared {
    /// The file it is written in.
    pub source: Arc<SourceText>,
    /// The configuration it belongs to (a `.tf` file's directory, a plan's file): a reference to a role resource
    /// is looked up there only, as Terraform does.
    pub module: String,
    /// What the front end read.
    pub parts: AssignmentParts,
}

/// A role resource of a Terraform file or plan, by the address assignments name it by.
#[derive(Debug)]
pub(crate) struct DeclaredRole {
    /// As [`Declared::module`].
    pub module: String,
    /// `azurerm_role_definition.NAME`.
    pub address: String,
    /// The role, an index into the run's roles.
    pub role: usize,
}

/// What the declared assignments need from the run.
pub(crate) struct Run<'r> {
    /// Every role of the run.
    pub roles: &'r [RoleDefinition],
    /// Which of them may be named by id or display name, in the order they are looked in: those of the files
    /// linted, then those of a `--tenant` directory (an assignment may name a role the tenant already has).
    pub linted: &'r [usize],
    /// As [`Run::linted`]: the roles of a `--tenant` directory's files.
    pub tenant: &'r [usize],
    /// The role resources of the run's Terraform files and plans.
    pub addresses: &'r [DeclaredRole],
    /// Whether `RL311` is on: the notes for assignments whose role cannot be found follow its switch.
    pub notes: bool,
}

/// Checks the declared assignments: each whose role is found becomes a [`RoleAssignment`] pointing into its
/// file, and the rules above run over them. A scope or condition Azure would refuse is an error whatever the
/// role; an assignment whose role is found nowhere is an `RL311` note.
pub(crate) fn check(declared: &[Declared], run: &Run<'_>) -> Vec<Finding> {
    let roles = |indices: &[usize]| indices.iter().filter_map(|&i| run.roles.get(i)).collect::<Vec<_>>();
    let places = [roles(run.linted), roles(run.tenant), rolegate::builtin::roles().value.iter().collect()];
    let mut out = Vec::new();
    let mut assignments = Vec::new();
    for d in declared {
        if let Some(c) = &d.parts.condition {
            invalid_condition(&d.source, c, &mut out);
        }
        let Some(scope) = scope_entry(d, &mut out) else { continue };
        match resolve(d, run, &places) {
            Ok(role) => assignments.push((assignment(d, scope, role), role)),
            Err(why) => {
                if run.notes {
                    out.push(not_checked(d, &why));
                }
            }
        }
    }
    let pairs = assignments.iter().map(|(a, r)| (a, *r)).collect();
    let index = Index { pairs, placement: Placement::default() };
    super::assignable_scopes::check(&index, &mut out);
    super::data_actions_at_management_group::check(&index, &mut out);
    super::assignment_conditions::check(&index, &mut out);
    super::assignment_scope::check(&index, &mut out);
    out
}

/// The role an assignment names, or why it was not found. A role by id or name is looked for in the linted
/// files, then in the tenant's, then among the built-in roles; more than one match in one place is ambiguous.
fn resolve<'r>(d: &Declared, run: &Run<'r>, places: &[Vec<&'r RoleDefinition>]) -> Result<&'r RoleDefinition, String> {
    let first =
        |matches: &dyn Fn(&RoleDefinition) -> bool, what: String| -> Result<Option<&'r RoleDefinition>, String> {
            for place in places {
                let found: Vec<&RoleDefinition> = place.iter().copied().filter(|r| matches(r)).collect();
                match found.as_slice() {
                    [] => {}
                    [role] => return Ok(Some(*role)),
                    _ => return Err(format!("{} roles are {what}", found.len())),
                }
            }
            Ok(None)
        };
    match &d.parts.role {
        RoleRef::Resource(address) => {
            let found: Vec<&RoleDefinition> = run
                .addresses
                .iter()
                .filter(|r| r.module == d.module && r.address == address.value)
                .filter_map(|r| run.roles.get(r.role))
                .collect();
            match found.as_slice() {
                [role] => Ok(*role),
                [] => Err(format!("`{}` is not a role definition of the linted files", address.value)),
                _ => Err(format!("{} roles are `{}`", found.len(), address.value)),
            }
        }
        RoleRef::Id(raw) => {
            // `/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/GUID`, `/providers/...` or a GUID.
            let id = Id::new(raw.value.trim_end_matches('/').rsplit('/').next().unwrap_or_default());
            first(&|r| r.id.as_ref() == Some(&id), format!("named by the id `{id}`"))?.ok_or_else(|| {
                format!("the role `{}` is neither a built-in role nor one of the linted files", excerpt(&raw.value))
            })
        }
        RoleRef::Name(name) => {
            let named = |r: &RoleDefinition| r.name.as_ref().is_some_and(|n| n.value.eq_ignore_ascii_case(&name.value));
            first(&named, format!("named `{}`", excerpt(&name.value)))?.ok_or_else(|| {
                format!("no built-in role and no role of the linted files is named `{}`", excerpt(&name.value))
            })
        }
    }
}

/// The assignment as the tenant rules read it, pointing into its file.
fn assignment(d: &Declared, scope: ScopeEntry, role: &RoleDefinition) -> RoleAssignment {
    let p = &d.parts;
    let raw = match &p.role {
        RoleRef::Id(s) | RoleRef::Name(s) | RoleRef::Resource(s) => s.clone(),
    };
    RoleAssignment {
        id: p.name.as_ref().map(|n| Id::new(&n.value)),
        resource_id: None,
        principal_id: Id::new(&p.principal_id.value),
        principal_type: p.principal_type.as_ref().map(|t| PrincipalType::parse(&t.value)),
        // A role Terraform creates has its id only after apply: the reference as written stands for it.
        role_id: role.id.clone().unwrap_or_else(|| Id::new(&raw.value)),
        role_definition_raw: raw,
        scope,
        condition: p.condition.clone(),
        condition_version: p.condition_version.clone(),
        description: None,
        origin: Origin { source: Arc::clone(&d.source), span: p.span },
    }
}

/// The assignment's scope, read as the tenant loader reads an assignment's; a scope Azure would refuse is an
/// error here, and the assignment is not checked further.
fn scope_entry(d: &Declared, out: &mut Vec<Finding>) -> Option<ScopeEntry> {
    let Spanned { value: raw, span } = &d.parts.scope;
    let value = classify_scope(raw);
    let (message, label) = match &value {
        ScopeValue::Parsed(p) => {
            if !p.normalized.is_empty() {
                let what: Vec<String> = p.normalized.iter().map(ToString::to_string).collect();
                let warning = Diagnostic::warning(
                    codes::NONCANONICAL_SCOPE,
                    format!("scope `{}` is not in canonical form ({})", excerpt(raw), what.join(", ")),
                )
                .at(&d.source, *span)
                .with_help(format!("write `\"{}\"`", excerpt(p.scope.as_str())));
                out.push(Finding::from_diagnostic(&warning, None));
            }
            return Some(ScopeEntry { raw: raw.clone(), span: *span, value });
        }
        ScopeValue::Malformed(err) => {
            (format!("malformed scope `{}` in `{}`: {err}", excerpt(raw), d.parts.address), err.problem.to_string())
        }
        ScopeValue::Placeholder { .. } | ScopeValue::Template => (
            format!("scope `{}` of `{}` is a placeholder, not a scope", excerpt(raw), d.parts.address),
            "placeholder".to_owned(),
        ),
    };
    let diagnostic =
        Diagnostic::error(codes::MALFORMED_SCOPE, message).at(&d.source, *span).with_label(label).with_help(
            "a scope is `/`, `/providers/Microsoft.Management/managementGroups/{id}`, `/subscriptions/{id}`, \
             `.../resourceGroups/{name}` or a resource id below it",
        );
    out.push(Finding::from_diagnostic(&diagnostic, None));
    None
}

/// `RL019` for each problem of a condition Azure would reject, as the tenant loader reports an assignment's.
fn invalid_condition(source: &Arc<SourceText>, c: &Spanned<String>, out: &mut Vec<Finding>) {
    let Err(errors) = rolegate::condition::Condition::parse(&c.value) else { return };
    for e in errors {
        let d = Diagnostic::error(codes::INVALID_CONDITION, format!("invalid condition: {}", e.message))
            .at(source, crate::conditions::file_span(source, c.span, e.span))
            .with_label(e.label.clone())
            .with_help(e.help.clone().unwrap_or_else(|| "Azure rejects this condition".to_owned()));
        out.push(Finding::from_diagnostic(&d, None));
    }
}

/// The `RL311` note for an assignment whose role was not found: it is not checked.
fn not_checked(d: &Declared, why: &str) -> Finding {
    let at: Span = match &d.parts.role {
        RoleRef::Id(s) | RoleRef::Name(s) | RoleRef::Resource(s) => s.span,
    };
    let diagnostic = Diagnostic::new(
        TEMPLATE_EXPRESSION.diag_code(),
        TEMPLATE_EXPRESSION.severity,
        format!("`{}` is not checked against its role: {why}", d.parts.address),
    )
    .at(&d.source, at)
    .with_label("role not found")
    .with_help("lint the files that define the role in the same run");
    Finding::from_diagnostic(&diagnostic, None)
}
