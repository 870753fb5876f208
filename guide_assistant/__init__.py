"""Assistant for local elected officials on the national poverty-prevention strategy guide."""
