"""Dashboard sign-in: accounts and roles, password hashing, TOTP, sessions, CSRF, lockout, the audit log.

Everything lives in the database (sessions too), so any number of collector processes serve the same users with
no shared memory: a session created by one process is valid on every other.
"""
