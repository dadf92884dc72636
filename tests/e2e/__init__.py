"""In a real Home Assistant (scripts/develop) through a real browser (Chromium + Playwright)."""
