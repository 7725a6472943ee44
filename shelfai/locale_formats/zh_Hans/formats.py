# Django's zh_Hans formats group by four digits with no separator ("1234567.89"). Chinese finance
# documents, ERP screens and invoices write amounts with a comma every three digits: "1,234,567.89".
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
DECIMAL_SEPARATOR = "."
