"""Custom search attributes that let ops list cases by status, county and step."""

from temporalio.common import SearchAttributeKey

STATUS = SearchAttributeKey.for_keyword("PishkhanStatus")
COUNTY = SearchAttributeKey.for_keyword("PishkhanCounty")
STEP = SearchAttributeKey.for_keyword("PishkhanStep")

ALL = (STATUS, COUNTY, STEP)
