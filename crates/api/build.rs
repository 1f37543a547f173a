//! Fetches the pinned ReDoc bundle from the npm registry at build time, so
//! `/redoc` works offline from the binary. Without npm (or without network)
//! the build still succeeds and the page falls back to the CDN.

use std::path::Path;
use std::process::Command;

/// The ReDoc release served at `/redoc`.
const REDOC_VERSION: &str = "3.0.1";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(redoc_bundled)");
    println!("cargo::rerun-if-changed=build.rs");
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        return;
    };
    let out_dir = Path::new(&out_dir);
    let bundle = out_dir.join("redoc.standalone.js");
    if !bundle.exists()
        && let Err(reason) = fetch(out_dir)
    {
        println!(
            "cargo::warning=ReDoc bundle unavailable ({reason}); /redoc will load it from the CDN"
        );
        return;
    }
    println!("cargo::rustc-cfg=redoc_bundled");
    println!(
        "cargo::rustc-env=STUDIOBRAIN_REDOC_BUNDLE={}",
        bundle.display()
    );
}

/// `npm pack redoc@VERSION`, then extracts `bundles/redoc.standalone.js`.
fn fetch(out_dir: &Path) -> Result<(), String> {
    let packed = Command::new("npm")
        .args([
            "pack",
            &format!("redoc@{REDOC_VERSION}"),
            "--silent",
            "--pack-destination",
        ])
        .arg(out_dir)
        .output()
        .map_err(|err| format!("npm: {err}"))?;
    if !packed.status.success() {
        return Err(format!(
            "npm pack failed: {}",
            String::from_utf8_lossy(&packed.stderr).trim()
        ));
    }
    let tarball = out_dir.join(format!("redoc-{REDOC_VERSION}.tgz"));
    let extracted = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(out_dir)
        .args([
            "--strip-components=2",
            "package/bundles/redoc.standalone.js",
        ])
        .status()
        .map_err(|err| format!("tar: {err}"))?;
    let _ = std::fs::remove_file(&tarball);
    if extracted.success() {
        Ok(())
    } else {
        Err("tar could not extract the bundle".into())
    }
}
