"""Run the applications service alone: python -m services.applications"""

from services.applications.app import create_app
from services.applications.settings import ApplicationsSettings
from services.kit.serve import serve

if __name__ == "__main__":
    settings = ApplicationsSettings()
    serve(create_app(settings), settings)
