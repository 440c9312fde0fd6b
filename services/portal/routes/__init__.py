"""The portal's pages, one module per audience: public, applicant, staff, ops."""
