"""Input and result of the new-license workflow: the common case input and result."""

from workflows.case import CaseInput, CaseResult

NewLicenseInput = CaseInput
NewLicenseResult = CaseResult
