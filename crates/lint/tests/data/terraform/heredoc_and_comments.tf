# Heredoc descriptions and every comment style.
resource "azurerm_role_definition" "reader_plus" { // trailing comment
  name  = "Reader Plus" /* inline */
  scope = "/subscriptions/33333333-3333-3333-3333-333333333333"
  description = <<-EOT
    Reads everything, and lists storage keys.
    Reviewed by the platform team.
  EOT

  permissions {
    # everything readable
    actions = [
      "*/read",                                             // all reads
      "Microsoft.Storage/storageAccounts/listkeys/action",  # and keys
    ]
    not_actions = [] /* nothing excluded */
  }

  assignable_scopes = ["/subscriptions/33333333-3333-3333-3333-333333333333"]
}
