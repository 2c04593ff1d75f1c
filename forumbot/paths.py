"""Where the project's own files live: config/, models/, reply_templates/, data/.

forumbot runs from its checkout (installed in editable mode), so these folders are found
next to the package, whatever the current directory.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
MODELS_DIR = PROJECT_ROOT / "models"
DATA_DIR = PROJECT_ROOT / "data"
CORPUS_DIR = DATA_DIR / "corpus"
TEMPLATES_DIR = PROJECT_ROOT / "reply_templates"
URGENCY_DIR = DATA_DIR / "urgency"
