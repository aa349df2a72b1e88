module lucet.example/embedgo

go 1.19

require lucet-wasi.local/lucet v0.0.0

// The package from this source tree (offline; no module proxy).
replace lucet-wasi.local/lucet => ../../bindings/go
