"""The runner as a service: the Celery worker, its client of the site's runner API, what this host can run
(capabilities) and the runner's own Prometheus metrics."""
