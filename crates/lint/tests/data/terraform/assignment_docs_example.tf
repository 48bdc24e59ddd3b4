# The azurerm provider's documentation examples for `azurerm_role_assignment`, with the subscription and the
# principals written out where the docs read them from data sources (so that role and scope are literal).

# "Custom Role & Service Principal": the role is assignable at the subscription it is assigned at.
resource "azurerm_role_definition" "example" {
  role_definition_id = "00000000-0000-0000-0000-000000000000"
  name               = "my-custom-role-definition"
  scope              = "/subscriptions/00000000-0000-0000-0000-000000000000"

  permissions {
    actions     = ["Microsoft.Resources/subscriptions/resourceGroups/read"]
    not_actions = []
  }

  assignable_scopes = [
    "/subscriptions/00000000-0000-0000-0000-000000000000", # data.azurerm_subscription.primary.id
  ]
}

resource "azurerm_role_assignment" "example" {
  name               = "00000000-0000-0000-0000-000000000000"
  scope              = "/subscriptions/00000000-0000-0000-0000-000000000000"
  role_definition_id = azurerm_role_definition.example.role_definition_resource_id
  principal_id       = data.azurerm_client_config.example.object_id
}

# "Using A Built-In Role".
resource "azurerm_role_assignment" "reader" {
  scope                = "/subscriptions/00000000-0000-0000-0000-000000000000"
  role_definition_name = "Reader"
  principal_id         = "11111111-1111-1111-1111-111111111111"
}
