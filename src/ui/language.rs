//! The language of the screens.

/// The language of the screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// French (default).
    #[default]
    Fr,
    /// Arabic, right to left.
    Ar,
    /// English.
    En,
}

impl Language {
    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::Ar => "ar",
            Language::En => "en",
        }
    }

    /// Parses an ISO 639-1 code.
    pub fn parse(code: &str) -> Option<Language> {
        match code.trim().to_lowercase().as_str() {
            "fr" => Some(Language::Fr),
            "ar" => Some(Language::Ar),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// Whether the layout runs right to left.
    pub fn rtl(self) -> bool {
        self == Language::Ar
    }
}
