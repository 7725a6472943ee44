# Django's zh_Hans formats group by four digits with no separator ("1234567.89"). Chinese finance
# documents, ERP screens and invoices write amounts with a comma every three digits: "1,234,567.89".
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
DECIMAL_SEPARATOR = "."
# A form writes a date into its field in the first input format. Browsers' date pickers (<input
# type="date">) take only ISO 8601 ("2026-12-04") and show an empty field for Django's zh_Hans first
# format "2026/12/04"; so ISO comes first, and the other Chinese forms are still read.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H:%M",
]
