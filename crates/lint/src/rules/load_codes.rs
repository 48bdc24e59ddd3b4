//! What `--explain` prints for the load codes (`RL000`–`RL099`), which rolegate's loaders report.

/// The explanation of a load code.
pub(crate) fn doc(code: &str) -> Option<&'static str> {
    DOCS.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)).map(|(_, d)| *d)
}

const DOCS: &[(&str, &str)] = &[
    (
        "RL000",
        "The file is not valid JSON: a syntax error, invalid UTF-8, nesting deeper than 128, or an empty file. For a `.bicep` file: Bicep that role-lint cannot read (an unknown declaration, an unclosed bracket or string, an invalid escape, nesting deeper than 100).\n\nWhy it matters: nothing of the file can be used; Azure and az reject it too.\n\nExample: a trailing comma, `{\"Name\": \"x\",}`.",
    ),
    (
        "RL001",
        "A value has the wrong JSON type for its key.\n\nWhy it matters: the file cannot be read as the shape it claims, so the engine refuses it.\n\nExample: `\"Actions\": 5`, `\"IsCustom\": \"true\"` (a string, not a boolean).",
    ),
    (
        "RL002",
        "A key appears twice in one object, exactly or up to letter case.\n\nWhy it matters: JSON parsers disagree on which copy wins; keys are case-insensitive for Azure.\n\nExample: `{\"Actions\": [], \"actions\": [\"*\"]}`.",
    ),
    (
        "RL003",
        "A key that none of the accepted formats define; it is ignored, with \"did you mean\".\n\nWhy it matters: az silently drops such keys, so a misspelt `NotAction` grants more than the file says.\n\nExample: `\"NotAction\": [...]` → did you mean `NotActions`?",
    ),
    (
        "RL004",
        "The document is not any of the accepted shapes, such as flat permission keys next to `Permissions`.\n\nWhy it matters: az uses one and silently drops the other.\n\nExample: `{\"Actions\": [...], \"Permissions\": [...]}`.",
    ),
    (
        "RL005",
        "A required field is missing (an assignment without `principalId`, `roleDefinitionId` or `scope`).\n\nWhy it matters: the value cannot be used.\n\nExample: `{\"roleDefinitionId\": \"...\", \"scope\": \"/subscriptions/s1\"}`.",
    ),
    (
        "RL006",
        "An action string that cannot be a pattern: empty, whitespace inside, control or invisible characters. It matches nothing; in NotActions its whole block grants nothing.\n\nWhy it matters: Azure rejects it; the engine fails closed.\n\nExample: `\"Microsoft.Network/virtualNetworks/ read\"`.",
    ),
    (
        "RL007",
        "Leading or trailing whitespace around an action, trimmed on load.\n\nWhy it matters: Azure tolerates it in two built-in roles, but it is a copy-paste slip that other tools may not trim.\n\nExample: `\"Microsoft.Network/virtualNetworks/read \"`.",
    ),
    (
        "RL008",
        "A scope string that cannot be parsed: `.`/`..` segments, whitespace, control characters. An assignment at it never grants.\n\nWhy it matters: Azure rejects it; a scope that is normalised into another resource would be a security bug.\n\nExample: `/subscriptions/s1/resourceGroups/../net`.",
    ),
    (
        "RL009",
        "A scope written in a non-canonical way (no leading `/`, trailing `/`, `//`), normalised on load.\n\nWhy it matters: other tools compare scopes as strings and may not match it.\n\nExample: `subscriptions/s1/`.",
    ),
    (
        "RL010",
        "An assignment names a role that is neither in the tenant nor among the built-in roles.\n\nWhy it matters: the assignment can never grant; the tenant load fails.\n\nExample: `\"roleDefinitionId\": \".../roleDefinitions/00000000-dead-...\"`.",
    ),
    (
        "RL011",
        "A value outside its allowed set, such as an unknown `roleType` or `principalType`.\n\nWhy it matters: the value is read with a safe default.\n\nExample: `\"roleType\": \"Custom\"` (the values are `CustomRole` and `BuiltInRole`).",
    ),
    (
        "RL012",
        "A tenant role reuses a built-in role's id with different content; the tenant's copy wins.\n\nWhy it matters: decisions then differ from Azure's built-in role.\n\nExample: a `roles.json` entry with Reader's GUID and `\"actions\": [\"*\"]`.",
    ),
    (
        "RL013",
        "Two roles in the tenant share an id.\n\nWhy it matters: assignments would be ambiguous; the tenant load fails.\n\nExample: two role files that both define GUID `5d4f...`.",
    ),
    (
        "RL014",
        "The management-group hierarchy contains a cycle.\n\nWhy it matters: ancestry is undefined; the tenant load fails.\n\nExample: `{\"a\": \"b\", \"b\": \"a\"}`.",
    ),
    (
        "RL015",
        "The management-group hierarchy is deeper than Azure's six levels.\n\nWhy it matters: Azure cannot hold such a tree; the export is probably wrong.\n\nExample: seven nested management groups.",
    ),
    (
        "RL016",
        "Subscriptions used by assignments are missing from `hierarchy.json`; they hang under the tenant root.\n\nWhy it matters: management-group assignments may not reach them as in Azure.\n\nExample: an assignment at `/subscriptions/s9` that `hierarchy.json` does not place.",
    ),
    (
        "RL017",
        "A file or directory could not be read (exit code 2).\n\nWhy it matters: the run is incomplete.\n\nExample: a path that does not exist, or no read permission.",
    ),
    (
        "RL018",
        "A malformed part of a deny assignment.\n\nWhy it matters: a deny that cannot be read cannot be applied, so the tenant load fails rather than allow what it would deny.\n\nExample: a deny assignment with `\"actions\": [\"a b\"]`.",
    ),
    (
        "RL019",
        "A condition (on a permission block, a role assignment or a deny assignment) that does not parse or type-check: the underline points at the problem inside the condition string.\n\nWhy it matters: Azure rejects it (\"The given role assignment condition is invalid.\"); rolegate keeps the rest of the policy but fails closed: the grant never allows and the deny always applies.\n\nExample: `\"condition\": \"@Resource[...:name] StringEquals 'logs' AND @Request[...:prefix] StringStartsWith 'a/' OR Exists @Request[...]\"` (AND and OR mixed without parentheses).",
    ),
    (
        "RL020",
        "A file of a tenant directory that would not be read as what it is: its name spells `assignments.json`, `denyAssignments.json`, `groups.json` or `hierarchy.json` in another letter case, or its content is one of those files' under another name.\n\nWhy it matters: read as a role file, a deny assignment would never apply; the tenant load fails instead.\n\nExample: `denyassignments.json`, or deny assignments saved as `deny.json`.",
    ),
    (
        "RL021",
        "A JSON file that holds no Azure RBAC role definition (nor any other RBAC document); it is skipped with one finding that says what it looks like.\n\nWhy it matters: a `package.json`, an ARM parameters file or a Cosmos DB SQL role definition (`RoleName` / `Type` / `Permissions[].DataActions`, Cosmos DB's own RBAC) beside the roles is not an Azure role; if the file was meant as one, it has none of the keys of a role (`Actions`, `AssignableScopes`, `Permissions`, ...).\n\nExample: `{\"name\": \"app\", \"version\": \"1.0.0\"}`.",
    ),
    (
        "RL022",
        "The compiled snapshot cannot represent this tenant: a permission block's `Actions` or `DataActions` with more than 65,536 entries, a role or deny assignment with more than 65,536 permission blocks, or more roles, assignments, deny assignments, principals, scopes, conditions or id text than its 32-bit tables index. The diagnostic names the first entry past the limit.\n\nWhy it matters: an entry the engine cannot index would be dropped, and a dropped deny or exclusion allows; the tenant load fails instead (exit code 2).\n\nExample: a deny assignment whose `actions` list has 70,000 entries.",
    ),
    (
        "RL023",
        "A deny assignment whose `principals`, `permissions` or a block's `actions` list is empty: it denies nothing.\n\nWhy it matters: a deny that looks in force protects nothing.\n\nExample: `\"principals\": []` (to deny everyone, name the Everyone principal `00000000-0000-0000-0000-000000000000`).",
    ),
    (
        "RL024",
        "A principal id written in braces (`{guid}`).\n\nWhy it matters: ids are compared as written, so the entry matches nobody: a deny on it protects nothing.\n\nExample: `{\"id\": \"{5d4f2e8a-0000-4000-8000-00000000abcd}\"}`: write the GUID without braces.",
    ),
    (
        "RL025",
        "A tenant directory without `assignments.json`.\n\nWhy it matters: without assignments nobody is granted anything; a directory missing it is usually a partial export.\n\nExample: a tenant directory holding only `roles.json`.",
    ),
    (
        "RL026",
        "An unknown key that is a near miss of a key that decides access: `notAction` for `NotActions`, `conditon` for `condition`, a deny's `action` for `actions`.\n\nWhy it matters: az and the loaders ignore unknown keys, so the exclusion, the condition or the denied action it holds would be dropped and grant more than the file says; the file is refused instead (fatal for the engine, an error in role-lint). Misspelt descriptive keys (`descripton`) stay `RL003` warnings.\n\nExample: `\"NotAction\": [\"Microsoft.Compute/virtualMachines/delete\"]`.",
    ),
    (
        "RL027",
        "A REST list page whose `nextLink` is set (`{\"value\": [...], \"nextLink\": \"https://...\"}`).\n\nWhy it matters: the page holds only part of the list; the deny assignments or exclusions on the other pages would be missing without a trace, so the file is refused.\n\nExample: the first page of `GET .../denyAssignments`, saved as it came.",
    ),
];
