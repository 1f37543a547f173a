//! Fetches the pinned ReDoc bundle from the npm registry at build time, so
//! `/redoc` works offline from the binary. Without npm (or without network)
//! the build still succeeds and the page falls back to the CDN.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The ReDoc release served at `/redoc`.
const REDOC_VERSION: &str = "2.5.4";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(redoc_bundled)");
    println!("cargo::rerun-if-changed=build.rs");
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let bundle = out_dir.join(format!("redoc-{REDOC_VERSION}.standalone.js"));
    if !bundle.exists()
        && let Err(reason) = fetch(&out_dir, &bundle)
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

/// `npm pack redoc@VERSION`, then extracts `bundles/redoc.standalone.js`
/// to `bundle`.
fn fetch(out_dir: &Path, bundle: &Path) -> Result<(), String> {
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
    let unpack = out_dir.join("redoc-unpack");
    std::fs::create_dir_all(&unpack)
        .map_err(|err| format!("creating {}: {err}", unpack.display()))?;
    let extracted = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&unpack)
        .arg("package/bundles/redoc.standalone.js")
        .status()
        .map_err(|err| format!("tar: {err}"))?;
    let _ = std::fs::remove_file(&tarball);
    if !extracted.success() {
        return Err("tar could not extract the bundle".into());
    }
    std::fs::rename(unpack.join("package/bundles/redoc.standalone.js"), bundle)
        .map_err(|err| format!("moving the bundle: {err}"))?;
    let _ = std::fs::remove_dir_all(&unpack);
    Ok(())
}
