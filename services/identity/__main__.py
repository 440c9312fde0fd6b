"""Run the identity service alone: python -m services.identity"""

from services.identity.app import create_app
from services.identity.settings import IdentitySettings
from services.kit.serve import serve

if __name__ == "__main__":
    settings = IdentitySettings()
    serve(create_app(settings), settings)
