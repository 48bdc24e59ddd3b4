# The azurerm provider's documentation example for `azurerm_role_definition`, with the subscription written out
# where the docs read it from a data source (so that every value is literal).
data "azurerm_subscription" "primary" {
}

resource "azurerm_role_definition" "example" {
  name        = "my-custom-role"
  scope       = "/subscriptions/00000000-0000-0000-0000-000000000000"
  description = "This is a custom role created via Terraform"

  permissions {
    actions     = ["*"]
    not_actions = []
  }

  assignable_scopes = [
    "/subscriptions/00000000-0000-0000-0000-000000000000", # data.azurerm_subscription.primary.id
  ]
}
