"""Practice exercises, submissions and lab jobs."""
