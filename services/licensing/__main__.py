"""Run the licensing service alone: python -m services.licensing"""

from services.kit.serve import serve
from services.licensing.app import create_app
from services.licensing.settings import LicensingSettings

if __name__ == "__main__":
    settings = LicensingSettings()
    serve(create_app(settings), settings)
