//! `cargo xtask gen-vault --entities N --out DIR`: writes a realistic
//! project for benchmarks: every entity type the repository's templates
//! define, 1 to 4 KB of frontmatter and body each, with references between
//! them (characters to factions and locations, items to owners, ...) and
//! body wikilinks, [`LINKS_PER_ENTITY`] links each, in prose whose word
//! frequencies fall off like natural text ([`word`] of each rank).

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

/// Syllables of the generated vocabulary.
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "tas", "vel", "dor", "shi", "qua", "bre", "nim", "zol", "fen", "gar",
    "hul", "isk", "jor", "pel", "rus", "tor", "ux", "wyn", "yar", "eth",
];

/// Distinct words of the generated prose.
pub const VOCABULARY: u64 = 20_000;

/// The word of frequency rank `rank` (0 is the most frequent): two to four
/// syllables spelling the rank, so every rank has its own word.
pub fn word(rank: u64) -> String {
    let base = SYLLABLES.len() as u64;
    let mut n = rank;
    let mut word = String::new();
    for _ in 0..2 {
        word.push_str(SYLLABLES[(n % base) as usize]);
        n /= base;
    }
    while n > 0 {
        word.push_str(SYLLABLES[(n % base) as usize]);
        n /= base;
    }
    word
}

/// Deterministic prose of about `bytes` bytes whose word frequencies fall
/// off like natural text (rank drawn log-uniformly: the word of rank `r`
/// is about `1/r` as frequent as the most frequent).
fn prose(seed: usize, bytes: usize) -> String {
    let mut text = String::new();
    let mut n = seed as u64;
    while text.len() < bytes {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let uniform = (n >> 11) as f64 / (1u64 << 53) as f64;
        let rank = ((VOCABULARY as f64).powf(uniform) - 1.0) as u64;
        text.push_str(&word(rank.min(VOCABULARY - 1)));
        text.push(if (n >> 20).is_multiple_of(11) {
            '\n'
        } else {
            ' '
        });
    }
    text
}

/// Links every generated entity makes: its reference fields, then body
/// wikilinks to pseudo-random entities up to this many.
pub const LINKS_PER_ENTITY: usize = 5;

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
        let fields = references(&kind.entity_type);
        for (field, target) in fields {
            front.push_str(&format!(
                "{field}: {target}_{}\n",
                (n * 7 + 3) % per_type.max(1)
            ));
        }
        front.push_str("---\n");
        let mut links = String::new();
        for k in fields.len()..LINKS_PER_ENTITY {
            let target = (i * 7919 + k * 104_729 + 1) % count;
            if target != i {
                let target_kind = &kinds[target % kinds.len()];
                let target_type = &target_kind.entity_type;
                links.push_str(&format!(
                    "[[{target_type}:{target_type}_{}]] ",
                    target / kinds.len()
                ));
            }
        }
        let body = format!(
            "# {} {n}\n\n## Notes\n\n{}\n\n## Links\n\n{}\n",
            kind.entity_type,
            prose(i * 31, 800 + (i % 3) * 1000),
            links.trim_end()
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
        assert_eq!(
            character.matches("[[").count(),
            LINKS_PER_ENTITY - 2,
            "{character}"
        );
        let size = character.len();
        assert!((1000..=4500).contains(&size), "{size} bytes");
        let _ = std::fs::remove_dir_all(&out);
    }
}
