//! `cargo xtask gen-vault --entities N --out DIR`: writes a realistic
//! project for benchmarks: every entity type the repository's templates
//! define, 1 to 4 KB of frontmatter and body each, with references between
//! them (characters to factions and locations, items to owners, ...).

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// An entity type as the generator needs it.
struct Kind {
    entity_type: String,
    folder: String,
    prefix: String,
}

/// Reads `entity_type`, `folder_name` and `file_prefix` from each template.
fn kinds(templates: &Path) -> anyhow::Result<Vec<Kind>> {
    let mut kinds = Vec::new();
    for layer in ["Core", "Standard"] {
        let dir = templates.join(layer);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with("_TEMPLATE.md"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)?;
            let value = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("{key}:")))
                    .map(|v| v.trim().trim_matches('"').to_owned())
            };
            if let (Some(entity_type), Some(folder), Some(prefix)) = (
                value("entity_type"),
                value("folder_name"),
                value("file_prefix"),
            ) && !kinds.iter().any(|k: &Kind| k.entity_type == entity_type)
            {
                kinds.push(Kind {
                    entity_type,
                    folder,
                    prefix,
                });
            }
        }
    }
    if kinds.is_empty() {
        bail!("no templates found under {}", templates.display());
    }
    Ok(kinds)
}

const WORDS: &[&str] = &[
    "canal", "lantern", "guild", "tide", "sluice", "ferry", "tallow", "bell", "harbour", "fog",
    "oath", "ledger", "rope", "barge", "tower", "market", "whisper", "ember", "salt", "warden",
    "archive", "bridge", "rain", "copper",
];

/// Deterministic prose of about `bytes` bytes.
fn prose(seed: usize, bytes: usize) -> String {
    let mut text = String::new();
    let mut n = seed as u64;
    while text.len() < bytes {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let word = WORDS[(n >> 33) as usize % WORDS.len()];
        text.push_str(word);
        text.push(if (n >> 20).is_multiple_of(11) {
            '\n'
        } else {
            ' '
        });
    }
    text
}

/// Which field of an entity type refers to which other type.
fn references(entity_type: &str) -> &'static [(&'static str, &'static str)] {
    match entity_type {
        "character" => &[("faction", "faction"), ("primary_location", "location")],
        "location" => &[("district", "district"), ("controlling_faction", "faction")],
        "item" => &[("owner", "character"), ("current_location", "location")],
        "quest" => &[
            ("quest_giver", "character"),
            ("starting_location", "location"),
        ],
        "event" => &[("location", "location")],
        "faction" => &[("leader", "character"), ("headquarters", "location")],
        _ => &[],
    }
}

/// Writes `count` entities under `out`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut count = 10_000usize;
    let mut out = PathBuf::from("target/gen-vault");
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--entities" => count = iter.next().context("--entities needs a number")?.parse()?,
            "--out" => out = PathBuf::from(iter.next().context("--out needs a folder")?),
            other => bail!("unknown argument {other}"),
        }
    }
    let written = generate(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates"),
        &out,
        count,
    )?;
    eprintln!("wrote {written} entities to {}", out.display());
    Ok(())
}

/// Generates the project and returns the number of entities written.
pub fn generate(templates: &Path, out: &Path, count: usize) -> anyhow::Result<usize> {
    let kinds = kinds(templates)?;
    let per_type = count.div_ceil(kinds.len());
    for i in 0..count {
        let kind = &kinds[i % kinds.len()];
        let n = i / kinds.len();
        let id = format!("{}_{n}", kind.entity_type);
        let mut front = format!(
            "---\nid: {id}\nname: \"{} {n}\"\nstatus: {}\nentity_type: {}\nsummary: \"{}\"\ntags:\n  - {}\n  - {}\n",
            kind.entity_type,
            if n % 3 == 0 { "active" } else { "draft" },
            kind.entity_type,
            prose(i, 80).replace(['\n', '"'], " ").trim(),
            WORDS[i % WORDS.len()],
            WORDS[(i / 7) % WORDS.len()],
        );
        for (field, target) in references(&kind.entity_type) {
            front.push_str(&format!(
                "{field}: {target}_{}\n",
                (n * 7 + 3) % per_type.max(1)
            ));
        }
        front.push_str("---\n");
        let body = format!(
            "# {} {n}\n\n## Notes\n\n{}\n",
            kind.entity_type,
            prose(i * 31, 800 + (i % 3) * 1000)
        );
        let dir = out.join(&kind.folder).join(&id);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join(format!("{}{id}.md", kind.prefix)),
            format!("{front}{body}"),
        )?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_every_type_with_references() {
        let out = std::env::temp_dir().join(format!("gen-vault-test-{}", std::process::id()));
        let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates");
        let written = generate(&templates, &out, 64).expect("generated");
        assert_eq!(written, 64);
        let character =
            std::fs::read_to_string(out.join("Characters/character_0/CH_character_0.md"))
                .expect("file");
        assert!(character.contains("faction: faction_"), "{character}");
        let size = character.len();
        assert!((1000..=4500).contains(&size), "{size} bytes");
        let _ = std::fs::remove_dir_all(&out);
    }
}
