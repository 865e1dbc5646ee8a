//! The platform a device is enrolled on: test or production.

/// The platform a device is enrolled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The pre-production platform: nothing is paid; screens say TEST.
    Test,
    /// The production platform.
    Production,
}

impl Profile {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Test => "test",
            Profile::Production => "production",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "test" => Some(Profile::Test),
            "production" => Some(Profile::Production),
            _ => None,
        }
    }
}
