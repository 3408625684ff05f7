# The site image: web (gunicorn + whitenoise) and the judge worker (bubblewrap sandbox).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap python3 python3-numpy gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Collected as production serves them (DEBUG=0: hashed names + manifest, compressed by whitenoise). The key
# is a throwaway for this build step only; the container gets its own from .env.
RUN DEBUG=1 python manage.py compilemessages -v0 \
    && DEBUG=0 SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
       python manage.py collectstatic --noinput -v0
RUN useradd --create-home dojo && mkdir -p /app/var && chown dojo /app/var
USER dojo
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
