resource "azurerm_role_definition" "broken" {
  name  = "Broken"
  scope = "/subscriptions/66666666-6666-6666-6666-666666666666"

  permissions {
    actions = ["Microsoft.Compute/*/read",
  }
}
