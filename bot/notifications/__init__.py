"""Notifications nobody asked for in the moment: the jobs that decide who is told what (``jobs``) and the scheduler
that runs them with the sender (``scheduler``)."""
