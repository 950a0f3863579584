package access

// HashPassword exposes the hash for BenchmarkHashPassword.
func HashPassword(password string) string { return hashPassword(password) }
