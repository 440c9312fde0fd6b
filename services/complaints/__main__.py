"""Run the complaints service alone: python -m services.complaints"""

from services.complaints.app import create_app
from services.complaints.settings import ComplaintsSettings
from services.kit.serve import serve

if __name__ == "__main__":
    settings = ComplaintsSettings()
    serve(create_app(settings), settings)
