// build.rs: links liblucet_wasi. $LUCET_WASI_LIB_DIR names the directory of
// liblucet_wasi.so; otherwise `pkg-config --libs lucet_wasi` (the command,
// no crate). Each -L directory also becomes an rpath, so that programs run
// from a build tree or a prefix without LD_LIBRARY_PATH.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=LUCET_WASI_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    if let Ok(dir) = std::env::var("LUCET_WASI_LIB_DIR") {
        println!("cargo:rustc-link-search=native={}", dir);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
        println!("cargo:rustc-link-lib=dylib=lucet_wasi");
        println!("cargo:libdir={}", dir);
        return;
    }
    let out = Command::new("pkg-config")
        .args(["--libs", "lucet_wasi"])
        .output()
        .expect("lucet-wasi-sys: cannot run pkg-config (or set LUCET_WASI_LIB_DIR)");
    if !out.status.success() {
        panic!(
            "lucet-wasi-sys: pkg-config --libs lucet_wasi failed (set PKG_CONFIG_PATH or LUCET_WASI_LIB_DIR): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for flag in String::from_utf8(out.stdout).unwrap().split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", dir);
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
            // DEP_LUCET_WASI_LIBDIR for dependents' build scripts (an
            // rpath is a link argument of each final binary, not of this crate).
            println!("cargo:libdir={}", dir);
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={}", lib);
        }
    }
}
