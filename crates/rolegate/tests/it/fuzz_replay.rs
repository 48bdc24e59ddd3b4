//! The committed fuzz corpora (`fuzz/corpus/<target>/`), replayed on stable through the same bodies the fuzz
//! targets run (`tests/fuzz_bodies/`), so that every input the fuzzer kept is a regression test here and CI
//! needs no nightly for it.

use std::path::PathBuf;

use crate::reference_engine::Effect;

#[path = "../fuzz_bodies/condition.rs"]
mod condition;
#[path = "../fuzz_bodies/engine.rs"]
mod engine;
#[path = "../fuzz_bodies/request_scope.rs"]
mod request_scope;
#[path = "../fuzz_bodies/tenant_loader.rs"]
mod tenant_loader;

/// The inputs of one target's corpus, in name order. A missing or empty corpus fails: a replay of nothing would
/// pass without testing anything.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 10, "corpus {} holds only {} inputs", dir.display(), files.len());
    files
}

/// Runs `body` on every input of `target`'s corpus, naming the input that fails.
fn replay<T>(target: &str, mut body: impl FnMut(&[u8]) -> T) -> Vec<T> {
    corpus(target)
        .into_iter()
        .map(|(name, data)| {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&data)));
            result.unwrap_or_else(|e| {
                let message = e.downcast_ref::<String>().map(String::as_str).or(e.downcast_ref::<&str>().copied());
                panic!("fuzz/corpus/{target}/{name}: {}", message.unwrap_or("(no message)"))
            })
        })
        .collect()
}

#[test]
fn fuzz_corpus_condition() {
    replay("condition", condition::run);
}

#[test]
fn fuzz_corpus_request_scope() {
    replay("request_scope", request_scope::run);
}

#[test]
fn fuzz_corpus_tenant_loader() {
    replay("tenant_loader", tenant_loader::run);
}

/// Besides agreeing with the reference, the corpus must reach every effect, or agreement on it says little.
#[test]
fn fuzz_corpus_engine_reaches_every_effect() {
    let effects: Vec<Effect> = replay("engine", engine::run).into_iter().flatten().collect();
    for effect in [Effect::Allowed, Effect::Denied, Effect::NotAllowed] {
        let n = effects.iter().filter(|&&e| e == effect).count();
        assert!(n > 0, "the engine corpus never reaches {effect:?} ({} decisions)", effects.len());
    }
}
