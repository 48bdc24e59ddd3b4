# Assignments whose scope or role Terraform must evaluate: each is noted, and none is checked.
variable "scope" {
  type = string
}

resource "azurerm_role_assignment" "by_variable" {
  scope                = var.scope
  role_definition_name = "Reader"
  principal_id         = "11111111-1111-1111-1111-111111111111"
}

resource "azurerm_role_assignment" "by_data_source" {
  scope              = "/subscriptions/00000000-0000-0000-0000-000000000000"
  role_definition_id = data.azurerm_role_definition.contributor.id
  principal_id       = "11111111-1111-1111-1111-111111111111"
}

resource "azurerm_role_assignment" "each" {
  for_each             = toset(["/subscriptions/00000000-0000-0000-0000-000000000000"])
  scope                = each.value
  role_definition_name = "Reader"
  principal_id         = "11111111-1111-1111-1111-111111111111"
}

# A role that is neither built in nor in the linted files.
resource "azurerm_role_assignment" "elsewhere" {
  scope                = "/subscriptions/00000000-0000-0000-0000-000000000000"
  role_definition_name = "Somebody Else's Role"
  principal_id         = "11111111-1111-1111-1111-111111111111"
}
