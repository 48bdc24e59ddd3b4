//! The built-in roles as the rules need them: ids and names, and the pattern lists of each block. Read with
//! serde_json straight from the embedded file: the span-keeping loader does much more work than a rule needs,
//! and a one-file CI run must stay fast.

use std::collections::HashMap;
use std::sync::OnceLock;

use rolegate::matcher::Pattern;

/// One permission block of a built-in role.
#[derive(Debug, Default)]
pub(crate) struct Block {
    pub actions: Vec<Pattern>,
    pub not_actions: Vec<Pattern>,
    pub data_actions: Vec<Pattern>,
    pub not_data_actions: Vec<Pattern>,
    pub conditional: bool,
}

/// One built-in role.
#[derive(Debug)]
pub(crate) struct Builtin {
    pub name: String,
    pub blocks: Vec<Block>,
}

/// Every built-in role, and an index from lower-cased GUID to position.
#[derive(Debug, Default)]
pub(crate) struct Builtins {
    pub roles: Vec<Builtin>,
    pub by_id: HashMap<String, usize>,
}

impl Builtins {
    /// The display name of the built-in role with this id (ASCII case-insensitive).
    pub fn name_of(&self, id: &str) -> Option<&str> {
        let i = *self.by_id.get(&id.to_ascii_lowercase())?;
        self.roles.get(i).map(|r| r.name.as_str())
    }
}

/// The fields the rules read, deserialized straight into typed values (unknown fields are skipped, which is
/// much cheaper than building a `serde_json::Value` of the whole file).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRole {
    #[serde(default)]
    role_name: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    permissions: Vec<RawBlock>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBlock {
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    not_actions: Vec<String>,
    #[serde(default)]
    data_actions: Vec<String>,
    #[serde(default)]
    not_data_actions: Vec<String>,
    #[serde(default)]
    condition: Option<String>,
}

fn patterns(v: &[String]) -> Vec<Pattern> {
    v.iter().map(|s| Pattern::new(s.trim_matches([' ', '\t']))).collect()
}

/// The built-in roles, read on first use.
pub(crate) fn builtins() -> &'static Builtins {
    static BUILTINS: OnceLock<Builtins> = OnceLock::new();
    BUILTINS.get_or_init(|| {
        let mut out = Builtins::default();
        // The shipped file is checked by tests; were it unreadable, no role would count as built in.
        let Ok(roles) = serde_json::from_str::<Vec<RawRole>>(rolegate::builtin::ROLES_JSON) else { return out };
        for r in roles {
            let blocks = r
                .permissions
                .iter()
                .map(|p| Block {
                    actions: patterns(&p.actions),
                    not_actions: patterns(&p.not_actions),
                    data_actions: patterns(&p.data_actions),
                    not_data_actions: patterns(&p.not_data_actions),
                    conditional: p.condition.is_some(),
                })
                .collect();
            out.by_id.insert(r.name.to_ascii_lowercase(), out.roles.len());
            out.roles.push(Builtin { name: r.role_name, blocks });
        }
        out
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::builtins;

    #[test]
    fn reads_every_builtin_role() {
        let b = builtins();
        assert_eq!(b.roles.len(), 928);
        assert_eq!(b.by_id.len(), 928);
        assert_eq!(b.name_of("ACDD72A7-3385-48EF-BD42-F606FBA81AE7"), Some("Reader"));
        let contributor = &b.roles[b.by_id["b24988ac-6180-42a0-ab88-20f7382dd24c"]];
        assert_eq!(contributor.blocks[0].actions[0].as_str(), "*");
        assert_eq!(contributor.blocks[0].not_actions.len(), 11);
    }
}
