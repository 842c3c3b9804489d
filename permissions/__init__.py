"""The single permission policy (design.md §3 "Permissions")."""
