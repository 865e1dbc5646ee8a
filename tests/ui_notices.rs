//! Every refusal and error has words for the courier in French, Arabic and
//! English: each notice kind (an exhaustive match maps every error variant to
//! one) has a non-empty sentence of its own, translated, with no Rust name in it.

use std::collections::HashMap;

use courier_terminal::ui::notice::NoticeKind;
use courier_terminal::ui::{MainWindow, Tr};
use slint::ComponentHandle;

fn looks_like_code(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || ",.;:!?()\"«»".contains(c))
        .find(|w| {
            w.contains('_')
                || w.contains("::")
                || (w.chars().next().is_some_and(char::is_uppercase)
                    && w.chars().skip(1).any(char::is_uppercase)
                    && w.chars().any(char::is_lowercase))
        })
        .map(str::to_owned)
}

#[test]
fn every_notice_has_its_own_words_in_french_arabic_and_english() {
    i_slint_backend_testing::init_no_event_loop();
    let ui = MainWindow::new().expect("window");
    let tr = ui.global::<Tr>();
    let mut english: HashMap<NoticeKind, String> = HashMap::new();
    for lang in ["en", "fr", "ar"] {
        slint::select_bundled_translation(lang).expect("bundled translation");
        let fallback = tr.invoke_refusal("no_such_kind".into(), 3, 5).to_string();
        let mut seen: HashMap<String, NoticeKind> = HashMap::new();
        for kind in NoticeKind::all() {
            let text = tr.invoke_refusal(kind.code().into(), 3, 5).to_string();
            assert!(!text.trim().is_empty(), "{lang} {kind:?}: empty");
            assert_ne!(text, fallback, "{lang} {kind:?}: no words of its own");
            assert!(!text.contains("{}"), "{lang} {kind:?}: unfilled {text:?}");
            if let Some(word) = looks_like_code(&text) {
                panic!("{lang} {kind:?}: shows an identifier {word:?} in {text:?}");
            }
            if let Some(other) = seen.insert(text.clone(), kind) {
                panic!("{lang}: {kind:?} and {other:?} say the same {text:?}");
            }
            match lang {
                "en" => {
                    english.insert(kind, text);
                }
                _ => assert_ne!(
                    Some(&text),
                    english.get(&kind),
                    "{lang} {kind:?}: not translated"
                ),
            }
        }
    }
    assert!(english.len() >= 30, "every kind was walked");
}
