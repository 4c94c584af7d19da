"""`make doctor STAGE=…`: checks a deployed stage (or the local sandbox) against its account,
read-only, one line per check with the fix for each ✗ (docs/operations.md).

An operator's tool: it is not part of the deployment package (Chalice packages app.py, chalicelib/
and vendor/ only). scripts/doctor.py is the command; this package holds the checks.
"""
