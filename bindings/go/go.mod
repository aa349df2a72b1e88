module lucet-wasi.local/lucet

go 1.19
