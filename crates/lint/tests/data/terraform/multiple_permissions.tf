// Two permission blocks, data actions, and a fixed role id.
resource "azurerm_role_definition" "storage_operator" {
  role_definition_id = "5b6e2f7c-1d7a-4e39-9a55-4f0b8f3d2a11"
  name               = "Storage Operator"
  scope              = "/subscriptions/11111111-1111-1111-1111-111111111111"
  description        = "Reads storage accounts and manages blobs."

  permissions {
    actions = [
      "Microsoft.Storage/storageAccounts/read",
      "Microsoft.Storage/storageAccounts/blobServices/containers/*",
    ]
    not_actions = ["Microsoft.Storage/storageAccounts/blobServices/containers/delete"]
  }

  permissions {
    actions          = ["Microsoft.Resources/subscriptions/resourceGroups/read"]
    data_actions     = ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"]
    not_data_actions = ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete"]
  }

  assignable_scopes = [
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data",
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-logs",
  ]
}
