//! Join tokens: one secret per team and one for the director, 128 random bits
//! from the OS, kept beside the journal in `<journal>.tokens.json` (mode 0600) and
//! never in the journal or the logs. Lookups compare in constant time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Who a token lets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Identity {
    Director,
    Team(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tokens {
    pub director: String,
    pub teams: BTreeMap<String, String>,
}

fn random_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("the OS gave no randomness for tokens: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Tokens {
    pub fn generate(team_ids: &[String]) -> Result<Self> {
        let mut teams = BTreeMap::new();
        for id in team_ids {
            teams.insert(id.clone(), random_token()?);
        }
        Ok(Self { director: random_token()?, teams })
    }

    /// `<journal>.tokens.json`.
    pub fn path_beside(journal: &Path) -> PathBuf {
        let mut name = journal.as_os_str().to_owned();
        name.push(".tokens.json");
        PathBuf::from(name)
    }

    /// Writes the tokens as JSON, readable by the owner only.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        crate::private_file::write(path, &json)
            .with_context(|| format!("cannot write the tokens to {}", path.display()))
    }

    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read tokens {}", path.display()))?;
        let tokens: Tokens =
            serde_json::from_str(&text).with_context(|| format!("{}: not a tokens file", path.display()))?;
        Ok(tokens)
    }

    /// Checks that the tokens cover exactly the scenario's teams.
    pub fn check_teams(&self, team_ids: &[String]) -> Result<()> {
        let ours: Vec<&String> = self.teams.keys().collect();
        let mut theirs: Vec<&String> = team_ids.iter().collect();
        theirs.sort();
        if ours != theirs {
            bail!("the tokens file does not match the scenario's teams");
        }
        Ok(())
    }

    /// Who `token` identifies. Every stored token is compared in constant time,
    /// so the answer's timing does not depend on which one (if any) matched.
    pub fn identify(&self, token: &str, team_index: impl Fn(&str) -> Option<u32>) -> Option<Identity> {
        let mut found = None;
        if bool::from(self.director.as_bytes().ct_eq(token.as_bytes())) {
            found = Some(Identity::Director);
        }
        for (team, secret) in &self.teams {
            if bool::from(secret.as_bytes().ct_eq(token.as_bytes())) {
                found = team_index(team).map(Identity::Team);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_distinct() {
        let tokens = Tokens::generate(&["a".into(), "b".into()]).unwrap();
        assert_eq!(tokens.director.len(), 32);
        assert_ne!(tokens.teams["a"], tokens.teams["b"]);
        assert_ne!(tokens.director, tokens.teams["a"]);
        let index = |id: &str| ["a", "b"].iter().position(|x| *x == id).map(|i| i as u32);
        assert_eq!(tokens.identify(&tokens.teams["b"], index), Some(Identity::Team(1)));
        assert_eq!(tokens.identify(&tokens.director, index), Some(Identity::Director));
        assert_eq!(tokens.identify("nope", index), None);
        assert_eq!(tokens.identify("", index), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let tokens = Tokens::generate(&["a".into()]).unwrap();
        tokens.write(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(Tokens::read(&path).unwrap(), tokens);
    }
}
