module lucet.example/embedgo

go 1.19
