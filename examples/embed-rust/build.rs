// build.rs: links liblucet_wasi, found with pkg-config (the command, no
// crate): -L directories become link search paths (and an rpath, so the
// example runs from a build tree or a prefix without LD_LIBRARY_PATH).
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let out = Command::new("pkg-config")
        .args(["--libs", "lucet_wasi"])
        .output()
        .expect("embed-rust: cannot run pkg-config");
    if !out.status.success() {
        panic!(
            "embed-rust: pkg-config --libs lucet_wasi failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for flag in String::from_utf8(out.stdout).unwrap().split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
    }
}
