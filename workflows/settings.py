"""Settings of the workflows worker and bus bridge (env prefix WORKFLOWS_)."""

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class WorkflowsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WORKFLOWS_", extra="ignore")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "pishkhan"
    port: int = 8109
    # where the Temporal SDK serves its own Prometheus metrics; empty disables it
    sdk_metrics_address: str = "127.0.0.1:8110"
