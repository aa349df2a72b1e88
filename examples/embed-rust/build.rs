// build.rs: an rpath to liblucet_wasi's directory, which lucet-wasi-sys's
// build script found (pkg-config or $LUCET_WASI_LIB_DIR), so the example
// runs from a build tree or a prefix without LD_LIBRARY_PATH.
fn main() {
    if let Ok(dir) = std::env::var("DEP_LUCET_WASI_LIBDIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
