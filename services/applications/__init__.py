"""Applications: license applications, document review, the applicant-facing status and timeline."""
