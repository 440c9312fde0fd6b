"""Run the web portal alone: python -m services.portal"""

from services.kit.serve import serve
from services.portal.app import create_app
from services.portal.settings import PortalSettings

if __name__ == "__main__":
    settings = PortalSettings()
    serve(create_app(settings), settings)
