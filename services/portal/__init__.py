"""The web portal: server-rendered pages for citizens, applicants, staff and ops."""
