//! shoal's container image, built from a `shoal` binary of this machine with nothing pulled
//! from a registry: `deploy/docker/Dockerfile` (`FROM scratch`) over a build context made
//! here — `rootfs/` holds the binary (its debug sections stripped), every shared library
//! `ldd` names for it at the path the dynamic loader looks for it, `/etc/passwd` and
//! `/etc/group` with the `shoal` user (10001), and `/etc/nsswitch.conf` so glibc resolves
//! names from `/etc/hosts` and DNS (the engine mounts both into each container; glibc 2.34
//! and later carry the `files` and `dns` sources inside libc itself); `owned/` holds the
//! directories the shoal user writes (`/data`, `/certs`, `/tmp`), given to it by the
//! Dockerfile's `COPY --chown`.
//!
//! Used by `cargo xtask image` (the release binary) and by `cargo xtask containers` (the
//! debug binary the suite already built).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The user the image runs as.
pub const UID: u32 = 10001;

/// What to build.
#[derive(Debug, Clone)]
pub struct ImageRequest {
    /// The `shoal` binary to put in the image.
    pub binary: PathBuf,
    /// `deploy/docker/Dockerfile` of the workspace.
    pub dockerfile: PathBuf,
    /// The image's name and tag, e.g. `shoal:0.1.0`.
    pub tag: String,
    /// OCI labels: the version and the source revision.
    pub version: String,
    pub revision: String,
}

/// Whether a Docker engine answers here; the reason when it does not.
pub fn docker_available() -> std::result::Result<(), String> {
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!(
            "docker info failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(error) => Err(format!("no docker command: {error}")),
    }
}

/// Builds the image; returns its size in bytes.
pub fn build(request: &ImageRequest) -> Result<u64> {
    let context = tempfile::Builder::new().prefix("shoal-image-").tempdir()?;
    build_in(request, context.path())
}

fn build_in(request: &ImageRequest, context: &Path) -> Result<u64> {
    let rootfs = context.join("rootfs");
    let bin = rootfs.join("usr/local/bin");
    std::fs::create_dir_all(&bin)?;
    let shoal = bin.join("shoal");
    // Debug sections make most of a binary's size and are of no use in an image.
    let stripped = Command::new("objcopy")
        .arg("--strip-debug")
        .arg(&request.binary)
        .arg(&shoal)
        .status();
    if !matches!(stripped, Ok(status) if status.success()) {
        std::fs::copy(&request.binary, &shoal)
            .with_context(|| format!("copying {} into the image", request.binary.display()))?;
    }
    for library in shared_libraries(&request.binary)? {
        let inside = rootfs.join(library.strip_prefix("/").unwrap_or(&library));
        std::fs::create_dir_all(inside.parent().expect("a library path has a parent"))?;
        // The file itself, not a symbolic link to it (the link's target would be missing).
        std::fs::copy(&library, &inside)
            .with_context(|| format!("copying {} into the image", library.display()))?;
    }
    let etc = rootfs.join("etc");
    std::fs::create_dir_all(&etc)?;
    std::fs::write(
        etc.join("passwd"),
        format!("root:x:0:0:root:/:/sbin/nologin\nshoal:x:{UID}:{UID}:shoal:/data:/sbin/nologin\n"),
    )?;
    std::fs::write(etc.join("group"), format!("root:x:0:\nshoal:x:{UID}:\n"))?;
    std::fs::write(etc.join("nsswitch.conf"), "hosts: files dns\n")?;
    let owned = context.join("owned");
    for dir in ["data", "certs", "tmp"] {
        std::fs::create_dir_all(owned.join(dir))?;
    }
    std::fs::copy(&request.dockerfile, context.join("Dockerfile"))
        .with_context(|| format!("reading {}", request.dockerfile.display()))?;
    let created = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let output = Command::new("docker")
        .arg("build")
        .arg("--quiet")
        .args(["--tag", &request.tag])
        .args(["--build-arg", &format!("VERSION={}", request.version)])
        .args(["--build-arg", &format!("REVISION={}", request.revision)])
        .args(["--build-arg", &format!("CREATED={created}")])
        .arg(context)
        .output()
        .context("running docker build")?;
    if !output.status.success() {
        bail!(
            "docker build failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let size = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Size}}", &request.tag])
        .output()
        .context("running docker image inspect")?;
    String::from_utf8_lossy(&size.stdout)
        .trim()
        .parse()
        .with_context(|| format!("the size of {}", request.tag))
}

/// The shared libraries `binary` loads, as `ldd` resolves them on this machine (the
/// dynamic loader included); none for a static binary.
fn shared_libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let output = Command::new("ldd")
        .arg(binary)
        .output()
        .context("running ldd")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || text.contains("not a dynamic executable") {
        return Ok(Vec::new());
    }
    let mut libraries = Vec::new();
    for line in text.lines() {
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or
        // "/lib64/ld-linux-x86-64.so.2 (0x…)"; "linux-vdso.so.1 (0x…)" is the kernel's.
        let path = match line.split_once("=>") {
            Some((_, target)) => target.trim(),
            None => line.trim(),
        };
        let path = path.split_whitespace().next().unwrap_or_default();
        if path == "not" {
            bail!("{}: a library is missing: {line}", binary.display());
        }
        if path.starts_with('/') {
            libraries.push(PathBuf::from(path));
        }
    }
    Ok(libraries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_libraries_of_a_dynamic_binary_are_found_and_exist() {
        // This test binary is linked like shoal's.
        let me = std::env::current_exe().unwrap();
        let libraries = shared_libraries(&me).unwrap();
        assert!(
            libraries
                .iter()
                .any(|l| l.to_string_lossy().contains("libc.so")),
            "{libraries:?}"
        );
        assert!(
            libraries
                .iter()
                .any(|l| l.to_string_lossy().contains("ld-linux")),
            "{libraries:?}"
        );
        assert!(libraries.iter().all(|l| l.exists()), "{libraries:?}");
    }
}
