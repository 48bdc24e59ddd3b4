# Custom roles and assignments Azure would refuse.
resource "azurerm_role_definition" "app_reader" {
  name  = "App Reader"
  scope = "/subscriptions/00000000-0000-0000-0000-000000000000"

  permissions {
    actions = ["Microsoft.Web/sites/read"]
  }

  assignable_scopes = ["/subscriptions/00000000-0000-0000-0000-000000000000"]
}

# Another subscription: outside the role's assignable scopes.
resource "azurerm_role_assignment" "other_subscription" {
  scope              = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-app"
  role_definition_id = "${azurerm_role_definition.app_reader.role_definition_resource_id}"
  principal_id       = "11111111-1111-1111-1111-111111111111"
  principal_type     = "Group"
}

resource "azurerm_role_definition" "blob_reader" {
  name  = "Blob Reader"
  scope = "/providers/Microsoft.Management/managementGroups/platform"

  permissions {
    data_actions = ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]
  }
}

# A role with DataActions at its management group: Azure refuses the assignment there.
resource "azurerm_role_assignment" "management_group" {
  scope                = "/providers/Microsoft.Management/managementGroups/platform"
  role_definition_name = "Blob Reader"
  principal_id         = "11111111-1111-1111-1111-111111111111"
}

# A built-in role (Reader) by id, at a subscription whose id is no GUID.
resource "azurerm_role_assignment" "sample" {
  scope              = "/subscriptions/sub-1"
  role_definition_id = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
  principal_id       = "11111111-1111-1111-1111-111111111111"
}
